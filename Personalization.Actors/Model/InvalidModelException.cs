namespace Personalization.Actors.Model;

/// <summary>A model folder that breaks the model contract; the message names the file and what is wrong.</summary>
public sealed class InvalidModelException : Exception
{
    public InvalidModelException(string message) : base(message)
    {
    }

    public InvalidModelException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

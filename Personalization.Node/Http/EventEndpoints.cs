using Personalization.Actors.Events;

namespace Personalization.Node.Http;

/// <summary>HTTP ingest for small producers: events go to Kafka like any other producer's; 202 once the broker has them.</summary>
public static class EventEndpoints
{
    public const int MaxEventsPerRequest = 10_000;
    public const int MaxBodyBytes = 4 * 1024 * 1024;

    public static void MapEventEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/events", async (HttpRequest request, IEventPublisher publisher, CancellationToken ct) =>
        {
            if (request.ContentLength > MaxBodyBytes)
                return UserEndpoints.Error(StatusCodes.Status413PayloadTooLarge, $"body larger than {MaxBodyBytes} bytes: send fewer events per request");
            var body = await ReadBodyAsync(request, ct);
            if (body is null)
                return UserEndpoints.Error(StatusCodes.Status413PayloadTooLarge, $"body larger than {MaxBodyBytes} bytes: send fewer events per request");
            if (!ListeningEventJson.TryParseBatch(body, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), out var events, out var error))
                return UserEndpoints.Error(StatusCodes.Status400BadRequest, error!);
            if (events.Count == 0) return UserEndpoints.Error(StatusCodes.Status400BadRequest, "no events in the array");
            if (events.Count > MaxEventsPerRequest)
                return UserEndpoints.Error(StatusCodes.Status400BadRequest, $"{events.Count} events in one request; at most {MaxEventsPerRequest}");
            try
            {
                await publisher.PublishAsync(events, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return UserEndpoints.Error(StatusCodes.Status503ServiceUnavailable, $"Kafka did not accept the events: {e.Message}");
            }

            return Results.Json(new AcceptedDto(events.Count), ApiJsonContext.Default.AcceptedDto, statusCode: StatusCodes.Status202Accepted);
        });
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes) return null;
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}

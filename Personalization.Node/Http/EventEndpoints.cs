using Personalization.Actors.Events;
using Personalization.Node.Hosting;

namespace Personalization.Node.Http;

/// <summary>HTTP ingest for small producers: events go to Kafka like any other producer's; 202 once the broker has them.</summary>
public static class EventEndpoints
{
    public const int MaxEventsPerRequest = 10_000;

    public static void MapEventEndpoints(this IEndpointRouteBuilder app)
    {
        var maxBodyBytes = app.ServiceProvider.GetRequiredService<NodeOptions>().Http.MaxEventsBodyBytes;
        var tooLarge = $"body larger than {maxBodyBytes} bytes: send fewer events per request";
        app.MapPost("/events", async (HttpRequest request, IEventPublisher publisher, CancellationToken ct) =>
        {
            if (request.ContentLength > maxBodyBytes) return UserEndpoints.Error(StatusCodes.Status413PayloadTooLarge, tooLarge);
            var body = await ReadBodyAsync(request, maxBodyBytes, ct);
            if (body is null) return UserEndpoints.Error(StatusCodes.Status413PayloadTooLarge, tooLarge);
            if (!ListeningEventJson.TryParseBatch(body, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), out var events, out var error, MaxEventsPerRequest))
                return UserEndpoints.Error(StatusCodes.Status400BadRequest, error!);
            if (events.Count == 0) return UserEndpoints.Error(StatusCodes.Status400BadRequest, "no events in the array");
            try
            {
                await publisher.PublishAsync(events, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return UserEndpoints.Error(StatusCodes.Status503ServiceUnavailable, $"Kafka did not accept the events: {e.Message}");
            }

            return Results.Json(new AcceptedDto(events.Count), ApiJsonContext.Default.AcceptedDto, statusCode: StatusCodes.Status202Accepted);
        }).RequireRateLimiting(HttpApiHosting.PublicPolicy);
    }

    /// <summary>The body, or null as soon as it passes <paramref name="maxBodyBytes"/> (a chunked body has no length to check first).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int maxBodyBytes, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBodyBytes) return null;
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Personalization.Node.Http;
using Personalization.Node.Http.Admin;

namespace Personalization.Node.OperatorConsole;

/// <summary>
/// The console's side of one node's HTTP API: /admin/… with the bearer token, and the public /users/… queries.
/// Every failure becomes a <see cref="ConsoleFailure"/> with a sentence an operator can act on.
/// </summary>
public sealed class AdminClient
{
    private readonly HttpClient _http;
    private readonly string? _token;

    /// <summary>Who runs the console, as the node's audit log names them: OS user and host (a claim; the token is the proof).</summary>
    public static string Operator { get; } = $"{Environment.UserName}@{Environment.MachineName}";

    /// <param name="http">Its BaseAddress is the node (http://host:8080); its Timeout bounds every command.</param>
    public AdminClient(HttpClient http, string? token)
    {
        ArgumentNullException.ThrowIfNull(http.BaseAddress);
        _http = http;
        _token = string.IsNullOrWhiteSpace(token) ? null : token.Trim();
    }

    public Uri Node => _http.BaseAddress!;

    public Task<ClusterStateDto> ClusterAsync(CancellationToken ct) => GetAsync("admin/cluster", AdminJsonContext.Default.ClusterStateDto, ct);

    public Task<MessageDto> ClusterActionAsync(string action, string address, CancellationToken ct) =>
        PostAsync($"admin/cluster/{action}", new ClusterAddressRequest(address), AdminJsonContext.Default.ClusterAddressRequest, AdminJsonContext.Default.MessageDto, ct);

    public Task<ShardingRegionsDto> RegionsAsync(CancellationToken ct) => GetAsync("admin/sharding/regions", AdminJsonContext.Default.ShardingRegionsDto, ct);

    public Task<ClusterShardingStatsDto> RegionStatsAsync(string typeName, CancellationToken ct) =>
        GetAsync($"admin/sharding/{Uri.EscapeDataString(typeName)}/region-stats", AdminJsonContext.Default.ClusterShardingStatsDto, ct);

    public Task<ShardRegionStateDto> ShardStatsAsync(string typeName, CancellationToken ct) =>
        GetAsync($"admin/sharding/{Uri.EscapeDataString(typeName)}/shard-stats", AdminJsonContext.Default.ShardRegionStateDto, ct);

    public Task<ModelStatusDto> ModelAsync(CancellationToken ct) => GetAsync("admin/model", AdminJsonContext.Default.ModelStatusDto, ct);

    public Task<ModelStatusDto> LoadModelAsync(string folder, CancellationToken ct) =>
        PostAsync("admin/model/load", new ModelLoadRequest(folder), AdminJsonContext.Default.ModelLoadRequest, AdminJsonContext.Default.ModelStatusDto, ct);

    public Task<IngestStatusDto> IngestAsync(CancellationToken ct) => GetAsync("admin/ingest", AdminJsonContext.Default.IngestStatusDto, ct);

    /// <summary>The ingest status as it came: the console renders fields a newer node adds (lag, DLQ, data quality) when present.</summary>
    public Task<JsonElement> IngestJsonAsync(CancellationToken ct) => GetAsync("admin/ingest", ConsoleJsonContext.Default.JsonElement, ct);

    public Task<UserInspectionDto> InspectAsync(string userId, int k, CancellationToken ct) =>
        GetAsync($"admin/users/{Uri.EscapeDataString(userId)}/inspect?k={k}", ConsoleJsonContext.Default.UserInspectionDto, ct);

    public Task<DlqPageDto> DlqAsync(int perPartition, CancellationToken ct) =>
        GetAsync($"admin/dlq?limit={perPartition}", ConsoleJsonContext.Default.DlqPageDto, ct);

    public Task<DlqReplayResultDto> ReplayAsync(DlqReplayRequest request, CancellationToken ct) =>
        PostAsync("admin/dlq/replay", request, ConsoleJsonContext.Default.DlqReplayRequest, ConsoleJsonContext.Default.DlqReplayResultDto, ct);

    public Task<ItemAvailabilityChangeDto> WithdrawItemAsync(string itemId, string? reason, CancellationToken ct) =>
        PostAsync($"admin/items/{Uri.EscapeDataString(itemId)}/withdraw", new ItemWithdrawRequest(reason), ItemJsonContext.Default.ItemWithdrawRequest,
            ItemJsonContext.Default.ItemAvailabilityChangeDto, ct);

    public Task<ItemAvailabilityChangeDto> RestoreItemAsync(string itemId, CancellationToken ct) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Post, $"admin/items/{Uri.EscapeDataString(itemId)}/restore"), ItemJsonContext.Default.ItemAvailabilityChangeDto, ct);

    public Task<WithdrawnItemsDto> WithdrawnItemsAsync(int limit, CancellationToken ct) =>
        GetAsync($"admin/items/withdrawn?limit={limit}", ItemJsonContext.Default.WithdrawnItemsDto, ct);

    public Task<ShardEntitiesDto> EntitiesAsync(int limit, CancellationToken ct) =>
        GetAsync($"admin/sharding/user/entities?limit={limit}", AdminJsonContext.Default.ShardEntitiesDto, ct);

    /// <summary>
    /// The node's membership events (server-sent events of <c>GET /admin/cluster/events</c>) until
    /// <paramref name="ct"/> is cancelled or the node ends the stream. The answer's headers are bounded by the
    /// console's timeout; the stream itself is not.
    /// </summary>
    public async IAsyncEnumerable<ClusterEventDto> ClusterEventsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "admin/cluster/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode) throw await FailureAsync(response, request, ct);
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(stream);
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(ct);
            }
            catch (IOException) when (!ct.IsCancellationRequested)
            {
                yield break; // the node went away mid-stream
            }

            if (line is null) yield break;
            if (!line.StartsWith("data:", StringComparison.Ordinal)) continue;
            ClusterEventDto? e;
            try
            {
                e = JsonSerializer.Deserialize(line.AsSpan(5).Trim(), ConsoleJsonContext.Default.ClusterEventDto);
            }
            catch (JsonException)
            {
                continue;
            }

            if (e is not null) yield return e;
        }
    }

    public Task<ExperimentListDto> ExperimentsAsync(CancellationToken ct) => GetAsync("admin/experiments", ExperimentJsonContext.Default.ExperimentListDto, ct);

    public Task<ExperimentDto> ExperimentAsync(string name, CancellationToken ct) =>
        GetAsync($"admin/experiments/{Uri.EscapeDataString(name)}", ExperimentJsonContext.Default.ExperimentDto, ct);

    public Task<ExperimentDto> CreateExperimentAsync(CreateExperimentRequest request, CancellationToken ct) =>
        PostAsync("admin/experiments", request, ExperimentJsonContext.Default.CreateExperimentRequest, ExperimentJsonContext.Default.ExperimentDto, ct);

    public Task<ExperimentDto> ExperimentActionAsync(string name, string action, CancellationToken ct) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Post, $"admin/experiments/{Uri.EscapeDataString(name)}/{action}"), ExperimentJsonContext.Default.ExperimentDto, ct);

    public Task<ExperimentDto> SetExperimentAsync(string name, SetExperimentRequest request, CancellationToken ct) =>
        PostAsync($"admin/experiments/{Uri.EscapeDataString(name)}/set", request, ExperimentJsonContext.Default.SetExperimentRequest, ExperimentJsonContext.Default.ExperimentDto, ct);

    public Task<ExperimentReportDto> ExperimentReportAsync(string name, CancellationToken ct) =>
        GetAsync($"admin/experiments/{Uri.EscapeDataString(name)}/report", ExperimentJsonContext.Default.ExperimentReportDto, ct);

    public Task<SessionDto> SessionAsync(string userId, CancellationToken ct) =>
        GetAsync($"users/{Uri.EscapeDataString(userId)}/session", ApiJsonContext.Default.SessionDto, ct);

    public Task<RecommendationsDto> RecommendationsAsync(string userId, int k, CancellationToken ct) =>
        GetAsync($"users/{Uri.EscapeDataString(userId)}/recommendations?k={k}", ApiJsonContext.Default.RecommendationsDto, ct);

    private Task<T> GetAsync<T>(string path, JsonTypeInfo<T> answer, CancellationToken ct) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Get, path), answer, ct);

    private Task<T> PostAsync<TBody, T>(string path, TBody body, JsonTypeInfo<TBody> bodyInfo, JsonTypeInfo<T> answer, CancellationToken ct) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, bodyInfo) }, answer, ct);

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken ct)
    {
        if (_token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        request.Headers.TryAddWithoutValidation(AdminAudit.OperatorHeader, Operator);
        try
        {
            return await _http.SendAsync(request, completion, ct);
        }
        catch (HttpRequestException e)
        {
            throw new ConsoleFailure(ConsoleExitCodes.Unreachable, $"cannot reach the node at {Node}: {e.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ConsoleFailure(ConsoleExitCodes.Unreachable, $"the node at {Node} did not answer within {_http.Timeout.TotalSeconds:0} s");
        }
    }

    private async Task<T> SendAsync<T>(Func<HttpRequestMessage> create, JsonTypeInfo<T> answer, CancellationToken ct)
    {
        using var request = create();
        var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                try
                {
                    return await response.Content.ReadFromJsonAsync(answer, ct)
                           ?? throw new ConsoleFailure(ConsoleExitCodes.Refused, $"{Node} answered {request.RequestUri} with an empty body");
                }
                catch (JsonException e)
                {
                    throw new ConsoleFailure(ConsoleExitCodes.Refused, $"{Node} answered {request.RequestUri} with a body the console does not understand ({e.Message}); is it a personalization node of this version?");
                }
            }

            throw await FailureAsync(response, request, ct);
        }
    }

    private async Task<ConsoleFailure> FailureAsync(HttpResponseMessage response, HttpRequestMessage request, CancellationToken ct)
    {
        {
            var message = await ErrorMessageAsync(response, ct);
            return response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => new ConsoleFailure(ConsoleExitCodes.Unauthorized,
                    $"the node refused the request (401): {message}; pass --token or set {ConsoleConnection.TokenVariable}"),
                HttpStatusCode.Forbidden => new ConsoleFailure(ConsoleExitCodes.Unauthorized, $"the node refused the request (403): {message}"),
                HttpStatusCode.NotFound when message.Length == 0 => new ConsoleFailure(ConsoleExitCodes.Refused,
                    $"{Node} has no {request.RequestUri} (404); is it a personalization node with the operator console?"),
                _ => new ConsoleFailure(ConsoleExitCodes.Refused, $"{message} ({(int)response.StatusCode})"),
            };
        }
    }

    // Our endpoints answer {"error": "…"}; anything else (a proxy's page) is shown briefly as it came.
    private static async Task<string> ErrorMessageAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            if (JsonSerializer.Deserialize(text, AdminJsonContext.Default.ErrorDto) is { Error.Length: > 0 } error) return error.Error;
        }
        catch (JsonException)
        {
        }

        text = text.Trim();
        return text.Length <= 200 ? text : text[..200] + "…";
    }
}

using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Myelin.Gateway.Routing;

namespace Myelin.Gateway.Http;

/// <summary>
/// Puts the spec into the gateway's OpenAPI document: each operation's summary from the spec (where the
/// endpoint does not give its own), and the Matrix error responses (spec: "Standard error response"): a
/// <c>MatrixError</c> schema (<c>errcode</c>, <c>error</c>) and, on every operation, the errors every endpoint
/// can answer — 400 for a bad request body or parameter, 401 where the spec says an access token is needed,
/// 403 and 404 — beside whatever the endpoint documents itself.
/// </summary>
public static class OpenApiMatrixErrors
{
    const string SchemaId = "MatrixError";

    /// <summary>Endpoints outside the spec's client-server API that take no access token.</summary>
    static readonly string[] Unauthenticated =
    [
        "/_matrix/client/versions", "/.well-known/", "/_matrix/client/v3/login", "/_matrix/client/r0/login",
        "/_matrix/client/v3/register", "/_matrix/client/r0/register", "/_matrix/client/v3/publicRooms",
        "/_matrix/client/r0/publicRooms", "/_matrix/client/v3/directory/room/", "/_matrix/media/",
        "/_synapse/admin/v1/register", "/_synapse/admin/v1/server_version", "/health", "/_myelin/",
    ];

    public static OpenApiOptions AddMatrixErrors(this OpenApiOptions options)
    {
        options.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Components ??= new OpenApiComponents();
            doc.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
            doc.Components.Schemas[SchemaId] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "A Matrix error: the spec's standard error response.",
                Required = new HashSet<string> { "errcode", "error" },
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["errcode"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "An error code from the spec, e.g. M_FORBIDDEN." },
                    ["error"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A human-readable description of the error." },
                },
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var path = "/" + (context.Description.RelativePath ?? "").TrimStart('/');
            var method = context.Description.HttpMethod ?? "GET";
            var spec = SpecOperations.Find(method, path);
            if (string.IsNullOrEmpty(operation.Summary) && spec is { Summary.Length: > 0 } s) operation.Summary = s.Summary;
            operation.Responses ??= new OpenApiResponses();
            foreach (var (status, description) in ErrorsOf(path, method, spec?.NeedsToken))
            {
                if (operation.Responses.ContainsKey(status)) continue;
                operation.Responses[status] = new OpenApiResponse
                {
                    Description = description,
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new() { Schema = new OpenApiSchemaReference(SchemaId, context.Document) },
                    },
                };
            }
            return Task.CompletedTask;
        });
        return options;
    }

    /// <summary>The standard errors an endpoint can answer, by status.</summary>
    public static IEnumerable<(string Status, string Description)> ErrorsOf(string path, string method, bool? needsToken = null)
    {
        if (method is "POST" or "PUT" || path.Contains('{'))
            yield return ("400", "The request is not valid: M_NOT_JSON, M_BAD_JSON, M_MISSING_PARAM or M_INVALID_PARAM.");
        if (needsToken ?? !Unauthenticated.Any(path.StartsWith))
            yield return ("401", "The access token is missing or not known: M_MISSING_TOKEN or M_UNKNOWN_TOKEN.");
        yield return ("403", "The requester may not do this: M_FORBIDDEN.");
        yield return ("404", "What the request names does not exist: M_NOT_FOUND.");
    }
}

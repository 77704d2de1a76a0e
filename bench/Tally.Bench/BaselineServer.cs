namespace Tally.Bench;

/// <summary>
/// The reference point of the admission figure: the least a Kestrel endpoint can do for the same exchange.
/// Slim builder, no logging, one route that reads the same small JSON body and writes a small JSON answer.
/// </summary>
internal static class BaselineServer
{
    public static async Task RunAsync(string urls)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(urls.Split(';', StringSplitOptions.RemoveEmptyEntries));
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.MapPost("/admit", Admit);
        await app.RunAsync();
    }

    public static IResult Admit(BaselineRequest body) =>
        TypedResults.Ok(new BaselineResponse(true, 1, -1));
}

/// <summary>Same shape as Tally's admission request.</summary>
public sealed record BaselineRequest(string? Namespace, string? Kind, string? Key, double? Amount);

/// <summary>Serialises as <c>{"admitted":true,"current":1,"limit":-1}</c>.</summary>
public sealed record BaselineResponse(bool Admitted, double Current, double Limit);

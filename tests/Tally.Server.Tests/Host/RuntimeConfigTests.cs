using System.Text.Json.Nodes;

namespace Tally.Server.Tests.Host;

/// <summary>Runtime settings that <c>tally</c> ships in <c>tally.runtimeconfig.json</c> (set in Tally.Server.csproj).</summary>
public class RuntimeConfigTests
{
    [Fact]
    public void Idle_thread_pool_workers_of_the_tally_executable_sleep_without_spinning()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "tally.runtimeconfig.json");
        var properties = JsonNode.Parse(File.ReadAllText(path))!["runtimeOptions"]!["configProperties"]!;

        Assert.Equal(0, (int)properties["System.Threading.ThreadPool.UnfairSemaphoreSpinLimit"]!);
    }
}

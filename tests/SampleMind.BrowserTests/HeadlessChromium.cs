using Microsoft.Playwright;

namespace SampleMind.BrowserTests;

/// <summary>Debian's Chromium (CHROMIUM_PATH overrides), headless, as root without the sandbox: Playwright cannot download browsers here.</summary>
public static class HeadlessChromium
{
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : "/usr/bin/chromium",
        Headless = true,
        Args = ["--no-sandbox", "--disable-background-networking", "--no-first-run", "--disable-gpu", "--disable-dev-shm-usage"],
    });
}

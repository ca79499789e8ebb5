namespace SampleMind.ClientApi.Security;

public static class ProblemResponses
{
    /// <summary>Sets the status code and writes a ProblemDetails body (the authentication handlers' 401 and 403).</summary>
    public static async Task WriteStatusAsync(this IProblemDetailsService problems, HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}

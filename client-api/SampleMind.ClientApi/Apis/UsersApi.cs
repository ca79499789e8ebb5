namespace SampleMind.ClientApi.Apis;

/// <summary>GET /api/users/{id} and GET /api/users/{id}/risk.</summary>
public static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        return app;
    }
}

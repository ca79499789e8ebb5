# syntax=docker/dockerfile:1
# The operator CLI (`samplemind db migrate`, reconcile, train-churn, simulate, bench …): the image of the Kubernetes
# migration Job. Build from the repository root:
#   docker build -f deploy/docker/cli.Dockerfile -t samplemind/cli .
# SAMPLEMIND_PG names the database; the default command applies the pending schema migrations.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/SampleMind.Abstractions/SampleMind.Abstractions.csproj src/SampleMind.Abstractions/
COPY src/SampleMind.Analytics/SampleMind.Analytics.csproj src/SampleMind.Analytics/
COPY src/SampleMind.Operations/SampleMind.Operations.csproj src/SampleMind.Operations/
COPY src/SampleMind.Grains/SampleMind.Grains.csproj src/SampleMind.Grains/
COPY src/SampleMind.Cli/SampleMind.Cli.csproj src/SampleMind.Cli/
RUN dotnet restore src/SampleMind.Cli/SampleMind.Cli.csproj
COPY src/ src/
COPY deploy/sql/ deploy/sql/
RUN dotnet publish src/SampleMind.Cli/SampleMind.Cli.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS final
WORKDIR /app
COPY --from=build /app ./
USER $APP_UID
# A CLI has no health endpoint: it runs to completion (exit code 0 = done).
HEALTHCHECK NONE
ENTRYPOINT ["dotnet", "samplemind.dll"]
CMD ["db", "migrate"]

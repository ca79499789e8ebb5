# syntax=docker/dockerfile:1
# The SampleMind silo (grains, rollups, Orleans dashboard). Build from the repository root:
#   docker build -f deploy/docker/silo.Dockerfile -t samplemind/silo .
# Ports: 8080 web (/health/live, /health/ready, /dashboard, /metrics, /diagnostics), 11111 silo-to-silo, 30000 gateway.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files only, so a source change does not invalidate the restore layer.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/SampleMind.Abstractions/SampleMind.Abstractions.csproj src/SampleMind.Abstractions/
COPY src/SampleMind.Analytics/SampleMind.Analytics.csproj src/SampleMind.Analytics/
COPY src/SampleMind.Operations/SampleMind.Operations.csproj src/SampleMind.Operations/
COPY src/SampleMind.Grains/SampleMind.Grains.csproj src/SampleMind.Grains/
COPY silo/SampleMind.Silo/SampleMind.Silo.csproj silo/SampleMind.Silo/
RUN dotnet restore silo/SampleMind.Silo/SampleMind.Silo.csproj
COPY src/ src/
COPY silo/ silo/
COPY deploy/sql/ deploy/sql/
RUN dotnet publish silo/SampleMind.Silo/SampleMind.Silo.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS final
# curl for the HEALTHCHECK only.
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_URLS=http://+:8080 \
    Orleans__SiloPort=11111 \
    Orleans__GatewayPort=30000 \
    DOTNET_gcServer=1
EXPOSE 8080 11111 30000
# The non-root user the .NET images define (uid 1654).
USER $APP_UID
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1
ENTRYPOINT ["dotnet", "SampleMind.Silo.dll"]

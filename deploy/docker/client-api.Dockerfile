# syntax=docker/dockerfile:1
# SampleMind client-api (Segment-spec ingest, the HTTP API, the live dashboard page). Build from the repository root:
#   docker build -f deploy/docker/client-api.Dockerfile -t samplemind/client-api .
# Port: 8080 (/v1/*, /api/*, /, /health/live, /health/ready, /metrics).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# The dashboard page's chart library comes from npm (client-api's build runs `npm ci` in Dashboard/web).
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/SampleMind.Abstractions/SampleMind.Abstractions.csproj src/SampleMind.Abstractions/
COPY src/SampleMind.Analytics/SampleMind.Analytics.csproj src/SampleMind.Analytics/
COPY src/SampleMind.Operations/SampleMind.Operations.csproj src/SampleMind.Operations/
COPY client-api/SampleMind.ClientApi/SampleMind.ClientApi.csproj client-api/SampleMind.ClientApi/
RUN dotnet restore client-api/SampleMind.ClientApi/SampleMind.ClientApi.csproj
COPY src/ src/
COPY client-api/ client-api/
RUN dotnet publish client-api/SampleMind.ClientApi/SampleMind.ClientApi.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS final
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_URLS=http://+:8080
EXPOSE 8080
USER $APP_UID
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1
ENTRYPOINT ["dotnet", "SampleMind.ClientApi.dll"]

# syntax=docker/dockerfile:1
# Personalization node image.
#   docker build -t registry.example.com/personalization/personalization:0.1.0 .
# The build context is the repository root; models/default must be present in it (the shipped model is copied
# into the image by the Node project). linux/amd64 only: the one librdkafka build that loads without extra
# system libraries (centos8, self-contained) exists for x64 only in librdkafka.redist.

FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files alone, so the package layer is cached across source changes.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY Personalization.Actors/Personalization.Actors.csproj Personalization.Actors/
COPY Personalization.Node/Personalization.Node.csproj Personalization.Node/
RUN dotnet restore Personalization.Node/Personalization.Node.csproj -r linux-x64
COPY Personalization.Actors/ Personalization.Actors/
COPY Personalization.Node/ Personalization.Node/
COPY models/default/ models/default/
COPY data/sample/ data/sample/
# RID-specific, framework-dependent: ~130 MB instead of ~440 MB (no natives for other platforms).
RUN dotnet publish Personalization.Node/Personalization.Node.csproj -c Release -r linux-x64 --self-contained false \
        --no-restore -o /app \
 && rm -rf /app/librdkafka/x64 /app/librdkafka/x86 \
 && test -f /app/personalization.dll \
 && test -f /app/librdkafka/linux-x64/centos8-librdkafka.so \
 && test -f /app/models/default/manifest.json

FROM --platform=linux/amd64 mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
# Owned by root, read-only for the app user: the pod runs with readOnlyRootFilesystem.
COPY --from=build /app ./
# The node binds its own HTTP address (Personalization__Http__Host/Port); silence the image's default binding.
ENV ASPNETCORE_HTTP_PORTS= \
    DOTNET_hostBuilder__reloadConfigOnChange=false
# 8080: HTTP API, /healthz/*, /metrics.  4053: Akka.NET remoting (cluster).  8558: Akka.Management (Cluster Bootstrap
# contact points, Kubernetes discovery).
EXPOSE 8080 4053 8558
# Non-root: "app" (UID 1654) from the base image.
USER $APP_UID
ENTRYPOINT ["dotnet", "personalization.dll"]
CMD ["run"]

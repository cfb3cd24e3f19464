#!/usr/bin/env bash
# Builds the two empty local packages that let Microsoft.EntityFrameworkCore.Design restore here.
#
#   eng/BillingMigrations/make-stub-packages.sh
#
# Design 10.0.14 depends on Mono.TextTemplating (T4 templates, which this repo does not use) and,
# through Roslyn's MSBuild workspace, on Microsoft.VisualStudio.SolutionPersistence; neither is on
# the package mirror. Each stub holds only lib/netstandard2.0/_._ and lands in ./local-packages,
# which eng/BillingMigrations/nuget.config maps to exactly those two ids. Idempotent: existing
# packages are kept. Nothing here is part of the shipped packages or of VaultAI.Billing.sln.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
feed="$here/local-packages"
mkdir -p "$feed"

stubs=(
  "Mono.TextTemplating 3.0.0"
  "Microsoft.VisualStudio.SolutionPersistence 1.0.52"
)

work="$(mktemp -d /tmp/billing-stub-packages.XXXXXX)"
trap 'rm -rf "$work"' EXIT

for stub in "${stubs[@]}"; do
  read -r id version <<<"$stub"
  if [ -f "$feed/$id.$version.nupkg" ]; then
    continue
  fi

  # Packed outside the repo so its Directory.Build.props and Directory.Packages.props do not apply.
  project="$work/$id"
  mkdir -p "$project"
  : > "$project/_._"
  cat > "$project/Stub.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>netstandard2.0</TargetFramework>
    <PackageId>$id</PackageId>
    <Version>$version</Version>
    <Authors>VaultAI</Authors>
    <Description>Empty local stand-in so Microsoft.EntityFrameworkCore.Design restores (design time only).</Description>
    <IncludeBuildOutput>false</IncludeBuildOutput>
    <NoDefaultExcludes>true</NoDefaultExcludes>
    <SuppressDependenciesWhenPacking>true</SuppressDependenciesWhenPacking>
    <NoWarn>\$(NoWarn);NU5128</NoWarn>
  </PropertyGroup>
  <ItemGroup>
    <None Include="_._" Pack="true" PackagePath="lib/netstandard2.0/" />
  </ItemGroup>
</Project>
XML
  dotnet pack "$project/Stub.csproj" -c Release -o "$feed" --nologo -v quiet >/dev/null
  echo "made $feed/$id.$version.nupkg"
done

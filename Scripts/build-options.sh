# Sourced by the scripts that build SwiftTune: the one place that says which package traits a build enables.
# `Server` adds SwiftTuneServer and `swifttune deploy` (Package.swift keeps it off by default so SwiftTuneCore users
# never resolve the networking packages). Override with SWIFTTUNE_TRAITS="" for a core-only build.
# shellcheck disable=SC2034
swift_traits=(--traits "${SWIFTTUNE_TRAITS-Server}")
if [ -z "${SWIFTTUNE_TRAITS-Server}" ]; then swift_traits=(); fi

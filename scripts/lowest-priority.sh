#!/bin/sh
# Runs a command at the lowest CPU priority, also relative to other sessions. With autogroup
# scheduling (on by default in many Linux kernels, this CI machine's included) `nice` only ranks
# processes within one session: each session gets an equal share of the CPU whatever its nice.
# So the caller starts this in a session of its own (setsid, or spawn's `detached`) and it
# lowers that session's autogroup too, then runs the command under `nice -n 19`.
#   setsid -w sh scripts/lowest-priority.sh <command> [args...]
echo 19 >/proc/self/autogroup 2>/dev/null
exec nice -n 19 "$@"

#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, then a sharded replenish run
# through it, checked against a single run of the same data.
#
#   deploy/slurm/local-cluster.sh DATA_DIR SHARDS [WORK_DIR]
#
# Installs slurm-wlm and munge from Debian's packages when missing (needs
# root and the package mirror), starts munged, slurmctld and slurmd (no
# cgroups), submits deploy/slurm/replenish-shards.sh for DATA_DIR with
# SHARDS shards and waits for its merge job, runs the same data once
# without Slurm, and compares the two report folders file by file: every
# file must be byte-identical except run.json (timings, shard layout).
# The binary is $REPLENISH (default: target/release/replenish, built if
# missing). Not part of CI.
set -euo pipefail
data=$(realpath "${1:?usage: $0 DATA_DIR SHARDS [WORK_DIR]}")
shards=${2:?usage: $0 DATA_DIR SHARDS [WORK_DIR]}
work=$(realpath -m "${3:-/tmp/replenish-slurm}")
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${REPLENISH:-$repo/target/release/replenish}
[ -x "$bin" ] || (cd "$repo" && cargo build --release --quiet)
bin=$(realpath "$bin")

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge
fi

# munge: one key, the daemon running.
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown munge:munge /etc/munge/munge.key 2>/dev/null || true
chmod 400 /etc/munge/munge.key
mkdir -p /run/munge && chown munge:munge /run/munge 2>/dev/null || true
pgrep -x munged >/dev/null || runuser -u munge -- munged 2>/dev/null || munged --force

# slurm.conf for this host alone.
host=$(hostname -s)
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
state=/var/spool/slurm
mkdir -p "$state/ctld" "$state/d" /var/log/slurm /etc/slurm
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=local
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd
for _ in $(seq 60); do
  sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)' && break
  sleep 1
done
sinfo

# The sharded run through Slurm, and a single run to compare it with. The
# as-of date: $AS_OF, else the one a run of the data picks (a run to find it).
as_of=${AS_OF:-$("$bin" run --quiet --data "$data" --out "$work/probe" >/dev/null && ls "$work/probe")}
rm -rf "$work/slurm" "$work/single" "$work"/slurm-*.out
mkdir -p "$work/slurm"
start=$(date +%s)
# Job logs (slurm-*.out) go to the work folder.
out=$(cd "$work" && REPLENISH="$bin" "$repo/deploy/slurm/replenish-shards.sh" "$data" "$work/slurm" "$as_of" "$shards")
echo "$out"
merge=$(echo "$out" | sed -n 's/.*merge: job \([0-9]*\).*/\1/p')
while squeue -h -j "$merge" 2>/dev/null | grep -q .; do sleep 2; done
echo "through Slurm: $(( $(date +%s) - start )) s wall"
# Each job's peak memory and wall time (the last line of its log).
for log in "$work"/slurm-*.out; do
  [ -f "$log" ] && echo "$(basename "$log" .out): $(grep -h 'replenish peak' "$log" | tail -1)"
done
[ -f "$work/slurm/$as_of/plan.csv" ] || { echo "the merge wrote no report (see slurm-*.out)" >&2; exit 1; }
"$bin" run --quiet --data "$data" --out "$work/single" --as-of "$as_of"
differ=0
while IFS= read -r f; do
  [ "$(basename "$f")" = run.json ] && continue
  cmp -s "$work/single/$as_of/$f" "$work/slurm/$as_of/$f" || { echo "differs: $f"; differ=1; }
done < <(cd "$work/single/$as_of" && find . -type f | sort)
[ "$differ" = 0 ] && echo "identical: every file but run.json ($shards shards through Slurm against one run)"
exit "$differ"

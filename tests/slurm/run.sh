#!/bin/sh
# End-to-end test of `hemato slide --shard auto` in a real Slurm job array.
#
#   HEMATO_SLURM_TEST=1 tests/slurm/run.sh
#
# Needs root and Debian (12): installs slurm-wlm and munge with apt-get if they are missing,
# starts munged, slurmctld and slurmd for a one-node cluster on loopback (configuration in a
# temporary folder, no systemd, no cgroups), then
#
# 1. writes a 4 x 3 mosaic of the smear fields of ../shared/data/smears-sample,
# 2. runs `hemato slide` on it in one process (the reference),
# 3. submits tests/slurm/hemato-array.sbatch as a 4-task array over the mosaic's tiles and a
#    3-task array over a list of three slides, waits for them, merges each with `hemato merge`,
# 4. checks that cells.csv, counts.csv and the overviews equal the one-process runs byte for byte.
#
# Stops every daemon it started on exit. Without HEMATO_SLURM_TEST=1 it only says it is skipped.
set -eu
if [ "${HEMATO_SLURM_TEST:-0}" != 1 ]; then
    echo "tests/slurm/run.sh: skipped (set HEMATO_SLURM_TEST=1 to run it; needs root and apt-get)"
    exit 0
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/tests/slurm"
fields="$root/../shared/data/smears-sample/images"

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    echo "== installing slurm-wlm and munge"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

work=$(mktemp -d /tmp/hemato-slurm.XXXXXX)
chmod 755 "$work"
pids=""
cleanup() {
    for pid in $pids; do
        kill "$pid" 2>/dev/null || true
    done
    sleep 1
    for pid in $pids; do
        kill -9 "$pid" 2>/dev/null || true
    done
    if [ "${KEEP:-0}" != 1 ]; then
        rm -rf "$work"
    else
        echo "kept $work"
    fi
}
trap cleanup EXIT INT TERM

echo "== munge"
mkdir -p "$work/munge/etc" "$work/munge/run" "$work/munge/log" "$work/munge/lib"
dd if=/dev/urandom of="$work/munge/etc/munge.key" bs=1024 count=1 2>/dev/null
chmod 700 "$work/munge/etc" "$work/munge/lib"
chmod 755 "$work/munge/run"
chmod 400 "$work/munge/etc/munge.key"
socket="$work/munge/run/munge.socket.2"
munged --force --key-file="$work/munge/etc/munge.key" --socket="$socket" \
    --pid-file="$work/munge/run/munged.pid" --log-file="$work/munge/log/munged.log" \
    --seed-file="$work/munge/lib/munged.seed"
sleep 1
pids="$pids $(cat "$work/munge/run/munged.pid")"
munge -n --socket="$socket" | unmunge --socket="$socket" >/dev/null

echo "== slurm"
host=$(hostname -s)
cpus=$(nproc)
memory=$(awk '/MemTotal/ { print int($2 / 1024 / 2) }' /proc/meminfo)
mkdir -p "$work/slurm/state" "$work/slurm/spool" "$work/slurm/log"
export SLURM_CONF="$work/slurm/slurm.conf"
cat > "$SLURM_CONF" <<CONF
ClusterName=hemato-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$work/slurm/state
SlurmdSpoolDir=$work/slurm/spool
SlurmctldPidFile=$work/slurm/slurmctld.pid
SlurmdPidFile=$work/slurm/slurmd.pid
SlurmctldLogFile=$work/slurm/log/slurmctld.log
SlurmdLogFile=$work/slurm/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
slurmctld -i -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 1 60); do
    [ -f "$work/slurm/slurmctld.pid" ] && [ -f "$work/slurm/slurmd.pid" ] && break
    sleep 1
done
pids="$pids $(cat "$work/slurm/slurmctld.pid") $(cat "$work/slurm/slurmd.pid")"
for _ in $(seq 1 60); do
    state=$(sinfo -h -o %T 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 1
done
sinfo
[ "$state" = idle ] || { echo "the node did not come up: $state"; cat "$work/slurm/log/"*.log; exit 1; }

echo "== hemato"
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
export HEMATO="$root/target/release/hemato"
"$HEMATO" mosaic "$fields" --grid 4x3 --no-counts -o "$work/mosaic.tif"
cp "$fields/BloodImage_00003.jpg" "$work/field-a.jpg"
cp "$fields/BloodImage_00005.jpg" "$work/field-b.jpg"
options="--tile 512 --overlap 128"

"$HEMATO" slide "$work/mosaic.tif" $options --threads 2 --quiet -o "$work/one/tiles"
"$HEMATO" slide "$work/mosaic.tif" "$work/field-a.jpg" "$work/field-b.jpg" $options \
    --threads 2 --quiet -o "$work/one/list"

cd "$work"
sbatch --wait --array=0-3 --cpus-per-task=1 --mem=1G --output="$work/tiles-%a.log" \
    "$here/hemato-array.sbatch" "$work/array/tiles" "$work/mosaic.tif" -- $options
sbatch --wait --array=0-2 --cpus-per-task=1 --mem=1G --output="$work/list-%a.log" \
    "$here/hemato-array.sbatch" "$work/array/list" "$work/mosaic.tif" "$work/field-a.jpg" \
    "$work/field-b.jpg" -- $options
cat "$work"/tiles-*.log "$work"/list-*.log
"$HEMATO" merge "$work"/array/tiles/shard-*/ -o "$work/merged/tiles"
"$HEMATO" merge "$work"/array/list/shard-*/ -o "$work/merged/list"

status=0
for file in tiles/cells.csv tiles/counts.csv tiles/overview.png list/cells.csv list/counts.csv \
    list/overview-mosaic.png list/overview-field-a.png list/overview-field-b.png; do
    if cmp -s "$work/one/$file" "$work/merged/$file"; then
        echo "same: $file"
    else
        echo "DIFFERENT: $file"
        status=1
    fi
done
cells=$(($(wc -l < "$work/merged/tiles/cells.csv") - 1))
shards=$(ls -d "$work"/array/tiles/shard-* | wc -l)
echo "tiles: $shards shards, $cells cells; list: $(ls -d "$work"/array/list/shard-* | wc -l) shards"
[ "$status" = 0 ] && echo "PASS: Slurm job arrays merged equal the one-process runs" || echo FAIL
exit "$status"

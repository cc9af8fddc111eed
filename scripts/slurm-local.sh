#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the Slurm tests and `npm run bench:sweep` (run as root):
# Debian's slurm-wlm and munge, munged as user munge, slurmctld and slurmd as root, this host as the node.
# Idempotent: a cluster that already answers is left as it is.
set -euo pipefail
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
if sinfo -h >/dev/null 2>&1 && [ -n "$(sinfo -h -o %T 2>/dev/null | grep -E 'idle|mix|alloc')" ]; then
  echo "slurm: already running ($(sinfo -h -o '%P %T %N' | head -1))"
  exit 0
fi
host=$(hostname)
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))

# munge: a key readable by munge only, its run and log folders owned by it.
install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
install -d -o munge -g munge -m 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none; fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
if ! pgrep -x munged >/dev/null; then su -s /bin/sh munge -c /usr/sbin/munged; fi

install -d /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /etc/slurm
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=modelbench
SlurmctldHost=${host}
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmdSpoolDir=/var/spool/slurmd
StateSaveLocation=/var/spool/slurmctld
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmUser=root
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
# Finished jobs stay visible to scontrol for an hour (there is no accounting database for sacct).
MinJobAge=3600
KillWait=5
InactiveLimit=0
NodeName=${host} CPUs=${cpus} RealMemory=${mem} State=UNKNOWN
PartitionName=main Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
pgrep -x slurmctld >/dev/null || /usr/sbin/slurmctld
pgrep -x slurmd >/dev/null || /usr/sbin/slurmd
for _ in $(seq 1 30); do
  if sinfo -h -o %T 2>/dev/null | grep -qE 'idle|mix|alloc'; then
    echo "slurm: up ($(sinfo -h -o '%P %T %N' | head -1))"
    exit 0
  fi
  scontrol update nodename="${host}" state=resume >/dev/null 2>&1 || true
  sleep 1
done
echo "slurm: the node did not come up; see /var/log/slurm/slurmctld.log and slurmd.log" >&2
exit 1

#!/bin/sh
# A stand-in for an implementation that deadlocks in op 2.
cat >/dev/null
echo "aiospec-log 1"
echo "# begin 0"
exec sleep 1000

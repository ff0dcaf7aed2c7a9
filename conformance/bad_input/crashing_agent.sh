#!/bin/sh
# A stand-in for an implementation that crashes.
cat >/dev/null
echo "aiospec-log 1"
echo "# begin 0"
kill -SEGV $$

#!/bin/sh
# Starts rank 0 two seconds after the others, so a test can show that an input
# error every rank meets is still said when a silent rank gets there first.
[ "${OMPI_COMM_WORLD_RANK:-0}" = 0 ] && sleep 2
exec "$@"

#!/bin/bash
# The storage cases of the integration suite, and the deploy smoke suite,
# with [storage] backend = s3 on a Ceph RADOS Gateway (see run.sh).
FB_STORAGE=s3 exec "$(dirname "$0")/run.sh"

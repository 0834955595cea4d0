#!/bin/bash
# make-bundle.sh - placeholder (helper A writes it): make bundle.
echo "make-bundle: not written yet" >&2
exit 1

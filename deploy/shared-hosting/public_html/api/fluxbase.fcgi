#!/bin/sh
# placeholder (helper B)
exit 1

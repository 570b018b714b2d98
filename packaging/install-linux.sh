#!/bin/sh
# Put photofinder in this user's application menu: run it from the unpacked folder.
# The folder stays where it is; move it first if you want it elsewhere (~/Applications).
set -e
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/photofinder" install-desktop

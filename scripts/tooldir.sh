# tooldir.sh: sourced by the doc checks.  tooldir_args PROG ARGS... takes
# the one TOOLDIR argument and sets tooldir (absolute), or exits 64 with a
# usage message.
tooldir_args() {
	prog=$1
	shift
	if [ $# -ne 1 ] || [ -z "$1" ]; then
		echo "usage: $prog TOOLDIR" >&2
		exit 64
	fi
	case $1 in
	/*)	tooldir=$1 ;;
	*)	tooldir=$(pwd)/$1 ;;
	esac
	if [ ! -d "$tooldir" ]; then
		echo "$prog: $1: no such folder" >&2
		exit 64
	fi
}

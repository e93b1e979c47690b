"""``python -m theanine.compat SCRIPT.py [args...]``: run a Theano script on theanine."""
import sys

from theanine.compat.runner import main

sys.exit(main())

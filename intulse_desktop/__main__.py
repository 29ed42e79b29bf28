import sys

from intulse_desktop.cli import main

sys.exit(main())

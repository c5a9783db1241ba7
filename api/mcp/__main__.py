"""`python -m api.mcp`: see `api.mcp.stdio`."""
import sys

from api.mcp.stdio import main

sys.exit(main())

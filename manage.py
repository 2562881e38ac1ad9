#!/usr/bin/env python
from xietong.cli import main

if __name__ == "__main__":
    main()

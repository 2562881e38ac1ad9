from xietong.cli import main

main()

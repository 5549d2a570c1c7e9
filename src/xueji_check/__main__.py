from xueji_check.cli import main

main()

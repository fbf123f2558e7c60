from optiloop.cli import main

main()

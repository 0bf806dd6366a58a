from shnro_lib.cli import main

main()

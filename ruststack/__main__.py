from ruststack.cli import main

main()

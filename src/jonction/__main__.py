from jonction.cli import main

main()

from medrecall.cli import main

main()

from services.parser.server import main

main()

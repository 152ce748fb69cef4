from gardencity.cli import main

main()

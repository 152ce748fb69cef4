from gardencity.cli import run

run()

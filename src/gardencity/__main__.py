import gc

# start-up's imports make hundreds of thousands of objects that live as long as the process:
# without the cycle collector meanwhile (its passes would walk them again and again), then
# frozen out of it before it runs again
gc.disable()
from gardencity.cli import run  # noqa: E402

gc.freeze()
gc.enable()
run()

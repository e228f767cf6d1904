"""
RustStack embedded in a twistd application file: `twistd -ny tap/ruststack.tac`.

Copy it next to your own services to run RustStack beside them in one process;
settings are ruststack.config.Config fields.
"""

from twisted.application import service
from twisted.internet import reactor

from ruststack.config import Config
from ruststack.stack import build

# Settings not given here come from RUSTSTACK_* variables, then the defaults.
config = Config.resolve({})
application = service.Application("ruststack")
build(config, reactor).setServiceParent(application)

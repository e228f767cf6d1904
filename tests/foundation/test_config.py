"""
Settings from options, environment and defaults.
"""

import pytest

from ruststack.config import ALL_SERVICES, Config, ConfigError
from ruststack.tap import Options


def resolve(args, environ=None):
    options = Options()
    options.parseOptions(args)
    return Config.resolve(options.given(), environ or {})


def test_defaults():
    config = resolve([])
    assert (config.host, config.port, config.region, config.account) == ("127.0.0.1", 4566, "us-east-1", "000000000000")
    assert config.services == ALL_SERVICES
    assert config.data_dir is None and config.tls_port is None
    assert (config.auth, config.lambda_executor, config.log_format) == ("off", "process", "text")


def test_environment_fills_in_and_options_win():
    config = resolve(["--port", "0"], {"RUSTSTACK_PORT": "5000", "RUSTSTACK_REGION": "eu-west-1"})
    assert config.port == 0
    assert config.region == "eu-west-1"


def test_services_subset():
    assert resolve(["--services", "s3, lambda"]).services == ("s3", "lambda")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--port", "abc"], "--port: invalid value 'abc'"),
        (["--port", "70000"], "--port: invalid value '70000'"),
        (["--services", "s3,sqs"], "--services: unknown service 'sqs'"),
        (["--lambda-executor", "vm"], "--lambda-executor: invalid value 'vm' (expected process | docker)"),
        (["--account", "123"], "--account: '123' is not a 12-digit account id"),
        (["--auth", "verify"], "--auth verify needs --credentials-file"),
        (["--tls-cert", "/nonexistent.pem"], "--tls-cert and --tls-key go together"),
    ],
)
def test_bad_values_name_the_option(args, message):
    with pytest.raises(ConfigError) as raised:
        resolve(args)
    assert str(raised.value).startswith(message)


def test_bad_environment_value_names_the_option():
    with pytest.raises(ConfigError, match="^--region: 'nowhere' is not an AWS region"):
        resolve([], {"RUSTSTACK_REGION": "nowhere"})

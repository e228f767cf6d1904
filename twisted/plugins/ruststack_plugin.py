from twisted.application.service import ServiceMaker

RustStack = ServiceMaker(
    "RustStack",
    "ruststack.tap",
    "A local AWS emulator: S3, DynamoDB, Lambda and API Gateway for integration tests.",
    "ruststack",
)

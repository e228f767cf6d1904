"""
What a service does differently within its protocol, where the model does
not say: the code its constraint violations travel under, the namespace of
its JSON error types, the root elements of S3's XML answers.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
from botocore.model import ServiceModel

S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"

# The root element of each S3 answer whose body is its output's members:
# botocore's model leaves these names out (its parser ignores the root).
# From the S3 API reference, "Response Syntax" of each operation.
_S3_ROOTS = {
    "ListBuckets": "ListAllMyBucketsResult",
    "ListDirectoryBuckets": "ListAllMyDirectoryBucketsResult",
    "ListObjects": "ListBucketResult",
    "ListObjectsV2": "ListBucketResult",
    "ListObjectVersions": "ListVersionsResult",
    "ListMultipartUploads": "ListMultipartUploadsResult",
    "ListParts": "ListPartsResult",
    "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CompleteMultipartUpload": "CompleteMultipartUploadResult",
    "DeleteObjects": "DeleteResult",
    "GetBucketTagging": "Tagging",
    "GetObjectTagging": "Tagging",
    "GetBucketAcl": "AccessControlPolicy",
    "GetObjectAcl": "AccessControlPolicy",
    "GetBucketLocation": "LocationConstraint",
    "GetBucketVersioning": "VersioningConfiguration",
    "GetBucketCors": "CORSConfiguration",
    "GetBucketLifecycle": "LifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
    "GetBucketWebsite": "WebsiteConfiguration",
    "GetBucketLogging": "BucketLoggingStatus",
    "GetBucketNotification": "NotificationConfiguration",
    "GetBucketNotificationConfiguration": "NotificationConfiguration",
    "GetBucketRequestPayment": "RequestPaymentConfiguration",
    "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
    "GetObjectAttributes": "GetObjectAttributesResponse",
    "ListBucketAnalyticsConfigurations": "ListBucketAnalyticsConfigurationResult",
    "ListBucketInventoryConfigurations": "ListInventoryConfigurationsResult",
    "ListBucketMetricsConfigurations": "ListMetricsConfigurationsResult",
    "ListBucketIntelligentTieringConfigurations": "ListBucketIntelligentTieringConfigurationsOutput",
    "CreateSession": "CreateSessionResult",
}

# Framework errors DynamoDB reports under Coral's namespaces rather than its own.
_CORAL_TYPES = {
    "ValidationException": "com.amazon.coral.validate#",
    "UnknownOperationException": "com.amazon.coral.service#",
    "SerializationException": "com.amazon.coral.service#",
}


@attrs.frozen
class Dialect:
    """
    @ivar validation_code: the code of a constraint violation (required,
        enum, length, range, pattern).
    @ivar coral_messages: whether violations read as Coral writes them
        ("1 validation error detected: Value 'x' at 'name' failed to satisfy
        constraint: Member must ..."); S3's own errors otherwise.
    @ivar type_prefix: the namespace before a json error's C{__type}.
    @ivar framework_types: namespaces of framework errors (C{__type}).
    @ivar xml_namespace: the namespace of a rest-xml answer's root.
    @ivar internal_error: the code and message of the service's own answer
        when RustStack fails (else S3's InternalError or InternalFailure).
    """

    validation_code: str
    coral_messages: bool = True
    type_prefix: str = ""
    framework_types: Mapping[str, str] = attrs.field(factory=dict)
    xml_namespace: str = ""
    roots: Mapping[str, str] = attrs.field(factory=dict)
    internal_error: tuple[str, str] | None = None

    def json_type(self, code: str) -> str:
        return self.framework_types.get(code, self.type_prefix) + code

    def root_name(self, operation_name: str, output_shape_name: str) -> str:
        """
        The root element of a rest-xml answer made of its output's members.
        """
        name = self.roots.get(operation_name)
        if name is not None:
            return name
        return output_shape_name.removesuffix("Output") + "Result"


_BY_PROTOCOL = {
    "query": Dialect("ValidationError"),
    "json": Dialect("ValidationException"),
    "rest-json": Dialect("ValidationException"),
    "rest-xml": Dialect("InvalidArgument", coral_messages=False),
}

_BY_SERVICE = {
    # CloudWatch Logs answers constraint violations as InvalidParameterException.
    "logs": Dialect("InvalidParameterException"),
    # API Gateway's only client error for a bad request.
    "apigateway": Dialect("BadRequestException"),
    "apigatewayv2": Dialect("BadRequestException"),
    "dynamodb": Dialect(
        "ValidationException", type_prefix="com.amazonaws.dynamodb.v20120810#", framework_types=_CORAL_TYPES
    ),
    "s3": Dialect("InvalidArgument", coral_messages=False, xml_namespace=S3_NAMESPACE, roots=_S3_ROOTS),
    # Lambda's model names ServiceException (500) for its own failures.
    "lambda": Dialect("ValidationException", internal_error=("ServiceException", "An internal error occurred.")),
}


def dialect_for(model: ServiceModel) -> Dialect:
    """
    The dialect of a service: its own where it has one, else its protocol's.
    """
    return _BY_SERVICE.get(model.service_name) or _BY_PROTOCOL.get(model.protocol) or Dialect("ValidationException")

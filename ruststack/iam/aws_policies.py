"""
The AWS managed policies RustStack knows: those that deploy tools (SAM,
the CDK, Chalice, Zappa, the Serverless Framework) and Lambda apps attach,
with their real names, paths, default version ids, dates and default
documents. They are in every account (their ARNs name the account C{aws});
AWS has about 1,300 more, which RustStack does not list.

ReadOnlyAccess is the one abridged: AWS's document lists some 3,000 actions
of every service (98 kB); here its statements keep only the actions of the
services a RustStack app meets (API Gateway, CloudFormation, CloudWatch and
its Logs, DynamoDB, IAM, Lambda, S3, STS, X-Ray).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs


@attrs.frozen
class AwsManagedPolicy:
    """
    One AWS managed policy: its default version's document only (its older
    versions are not kept).
    """

    name: str
    path: str
    default_version: str
    created: datetime
    updated: datetime
    document: dict[str, Any]


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


AWS_MANAGED_POLICIES = (
    AwsManagedPolicy(
        "AWSLambdaBasicExecutionRole",
        "/service-role/",
        "v1",
        _when("2015-04-09T15:03:43+00:00"),
        _when("2015-04-09T15:03:43+00:00"),
        {
            "Statement": [
                {
                    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                    "Effect": "Allow",
                    "Resource": "*",
                }
            ],
            "Version": "2012-10-17",
        },
    ),
    AwsManagedPolicy(
        "AWSLambdaVPCAccessExecutionRole",
        "/service-role/",
        "v3",
        _when("2016-02-11T23:15:26+00:00"),
        _when("2024-01-05T22:38:26+00:00"),
        {
            "Statement": [
                {
                    "Action": [
                        "logs:CreateLogGroup",
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "ec2:CreateNetworkInterface",
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DescribeSubnets",
                        "ec2:DeleteNetworkInterface",
                        "ec2:AssignPrivateIpAddresses",
                        "ec2:UnassignPrivateIpAddresses",
                    ],
                    "Effect": "Allow",
                    "Resource": "*",
                    "Sid": "AWSLambdaVPCAccessExecutionPermissions",
                }
            ],
            "Version": "2012-10-17",
        },
    ),
    AwsManagedPolicy(
        "AWSLambdaRole",
        "/service-role/",
        "v1",
        _when("2015-02-06T18:41:28+00:00"),
        _when("2015-02-06T18:41:28+00:00"),
        {
            "Statement": [{"Action": ["lambda:InvokeFunction"], "Effect": "Allow", "Resource": ["*"]}],
            "Version": "2012-10-17",
        },
    ),
    AwsManagedPolicy(
        "AWSLambdaExecute",
        "/",
        "v1",
        _when("2015-02-06T18:40:46+00:00"),
        _when("2015-02-06T18:40:46+00:00"),
        {
            "Statement": [
                {"Action": ["logs:*"], "Effect": "Allow", "Resource": "arn:aws:logs:*:*:*"},
                {"Action": ["s3:GetObject", "s3:PutObject"], "Effect": "Allow", "Resource": "arn:aws:s3:::*"},
            ],
            "Version": "2012-10-17",
        },
    ),
    AwsManagedPolicy(
        "AWSXRayDaemonWriteAccess",
        "/",
        "v2",
        _when("2018-08-28T23:00:33+00:00"),
        _when("2024-02-13T21:58:30+00:00"),
        {
            "Statement": [
                {
                    "Action": [
                        "xray:PutTraceSegments",
                        "xray:PutTelemetryRecords",
                        "xray:GetSamplingRules",
                        "xray:GetSamplingTargets",
                        "xray:GetSamplingStatisticSummaries",
                    ],
                    "Effect": "Allow",
                    "Resource": ["*"],
                    "Sid": "AWSXRayDaemonWriteAccess",
                }
            ],
            "Version": "2012-10-17",
        },
    ),
    AwsManagedPolicy(
        "AmazonDynamoDBFullAccess",
        "/",
        "v15",
        _when("2015-02-06T18:40:11+00:00"),
        _when("2021-01-29T17:38:30+00:00"),
        {
            "Statement": [
                {
                    "Action": [
                        "dynamodb:*",
                        "dax:*",
                        "application-autoscaling:DeleteScalingPolicy",
                        "application-autoscaling:DeregisterScalableTarget",
                        "application-autoscaling:DescribeScalableTargets",
                        "application-autoscaling:DescribeScalingActivities",
                        "application-autoscaling:DescribeScalingPolicies",
                        "application-autoscaling:PutScalingPolicy",
                        "application-autoscaling:RegisterScalableTarget",
                        "cloudwatch:DeleteAlarms",
                        "cloudwatch:DescribeAlarmHistory",
                        "cloudwatch:DescribeAlarms",
                        "cloudwatch:DescribeAlarmsForMetric",
                        "cloudwatch:GetMetricStatistics",
                        "cloudwatch:ListMetrics",
                        "cloudwatch:PutMetricAlarm",
                        "cloudwatch:GetMetricData",
                        "datapipeline:ActivatePipeline",
                        "datapipeline:CreatePipeline",
                        "datapipeline:DeletePipeline",
                        "datapipeline:DescribeObjects",
                        "datapipeline:DescribePipelines",
                        "datapipeline:GetPipelineDefinition",
                        "datapipeline:ListPipelines",
                        "datapipeline:PutPipelineDefinition",
                        "datapipeline:QueryObjects",
                        "ec2:DescribeVpcs",
                        "ec2:DescribeSubnets",
                        "ec2:DescribeSecurityGroups",
                        "iam:GetRole",
                        "iam:ListRoles",
                        "kms:DescribeKey",
                        "kms:ListAliases",
                        "sns:CreateTopic",
                        "sns:DeleteTopic",
                        "sns:ListSubscriptions",
                        "sns:ListSubscriptionsByTopic",
                        "sns:ListTopics",
                        "sns:Subscribe",
                        "sns:Unsubscribe",
                        "sns:SetTopicAttributes",
                        "lambda:CreateFunction",
                        "lambda:ListFunctions",
                        "lambda:ListEventSourceMappings",
                        "lambda:CreateEventSourceMapping",
                        "lambda:DeleteEventSourceMapping",
                        "lambda:GetFunctionConfiguration",
                        "lambda:DeleteFunction",
                        "resource-groups:ListGroups",
                        "resource-groups:ListGroupResources",
                        "resource-groups:GetGroup",
                        "resource-groups:GetGroupQuery",
                        "resource-groups:DeleteGroup",
                        "resource-groups:CreateGroup",
                        "tag:GetResources",
                        "kinesis:ListStreams",
                        "kinesis:DescribeStream",
                        "kinesis:DescribeStreamSummary",
                    ],
                    "Effect": "Allow",
                    "Resource": "*",
                },
                {
                    "Action": "cloudwatch:GetInsightRuleReport",
                    "Effect": "Allow",
                    "Resource": "arn:aws:cloudwatch:*:*:insight-rule/DynamoDBContributorInsights*",
                },
                {
                    "Action": ["iam:PassRole"],
                    "Condition": {
                        "StringLike": {
                            "iam:PassedToService": [
                                "application-autoscaling.amazonaws.com",
                                "application-autoscaling.amazonaws.com.cn",
                                "dax.amazonaws.com",
                            ]
                        }
                    },
                    "Effect": "Allow",
                    "Resource": "*",
                },
                {
                    "Action": ["iam:CreateServiceLinkedRole"],
                    "Condition": {
                        "StringEquals": {
                            "iam:AWSServiceName": [
                                "replication.dynamodb.amazonaws.com",
                                "dax.amazonaws.com",
                                "dynamodb.application-autoscaling.amazonaws.com",
                                "contributorinsights.dynamodb.amazonaws.com",
                                "kinesisreplication.dynamodb.amazonaws.com",
                            ]
                        }
                    },
                    "Effect": "Allow",
                    "Resource": "*",
                },
            ],
            "Version": "2012-10-17",
        },
    ),
    AwsManagedPolicy(
        "AmazonS3FullAccess",
        "/",
        "v2",
        _when("2015-02-06T18:40:58+00:00"),
        _when("2021-09-27T20:16:37+00:00"),
        {
            "Statement": [{"Action": ["s3:*", "s3-object-lambda:*"], "Effect": "Allow", "Resource": "*"}],
            "Version": "2012-10-17",
        },
    ),
    AwsManagedPolicy(
        "AmazonS3ReadOnlyAccess",
        "/",
        "v3",
        _when("2015-02-06T18:40:59+00:00"),
        _when("2023-08-10T21:31:39+00:00"),
        {
            "Statement": [
                {
                    "Action": [
                        "s3:Get*",
                        "s3:List*",
                        "s3:Describe*",
                        "s3-object-lambda:Get*",
                        "s3-object-lambda:List*",
                    ],
                    "Effect": "Allow",
                    "Resource": "*",
                }
            ],
            "Version": "2012-10-17",
        },
    ),
    AwsManagedPolicy(
        "AmazonAPIGatewayPushToCloudWatchLogs",
        "/service-role/",
        "v1",
        _when("2015-11-11T23:41:46+00:00"),
        _when("2015-11-11T23:41:46+00:00"),
        {
            "Statement": [
                {
                    "Action": [
                        "logs:CreateLogGroup",
                        "logs:CreateLogStream",
                        "logs:DescribeLogGroups",
                        "logs:DescribeLogStreams",
                        "logs:PutLogEvents",
                        "logs:GetLogEvents",
                        "logs:FilterLogEvents",
                    ],
                    "Effect": "Allow",
                    "Resource": "*",
                }
            ],
            "Version": "2012-10-17",
        },
    ),
    AwsManagedPolicy(
        "CloudWatchLogsFullAccess",
        "/",
        "v8",
        _when("2015-02-06T18:40:02+00:00"),
        _when("2026-02-12T18:00:33+00:00"),
        {
            "Statement": [
                {
                    "Action": [
                        "logs:*",
                        "cloudwatch:GenerateQuery",
                        "cloudwatch:GenerateQueryResultsSummary",
                        "observabilityadmin:GetS3TableIntegration",
                        "observabilityadmin:ListS3TableIntegrations",
                        "observabilityadmin:ListTelemetryPipelines",
                    ],
                    "Effect": "Allow",
                    "Resource": "*",
                    "Sid": "CloudWatchLogsFullAccess",
                }
            ],
            "Version": "2012-10-17",
        },
    ),
    AwsManagedPolicy(
        # The CDK's bootstrap stack (template version 33) attaches it to its deployment action role.
        "AWSCloudFormationReadOnlyAccess",
        "/",
        "v4",
        _when("2015-02-06T18:39:49+00:00"),
        _when("2019-11-13T17:40:35+00:00"),
        {
            "Statement": [
                {
                    "Action": [
                        "cloudformation:Describe*",
                        "cloudformation:EstimateTemplateCost",
                        "cloudformation:Get*",
                        "cloudformation:List*",
                        "cloudformation:ValidateTemplate",
                        "cloudformation:Detect*",
                    ],
                    "Effect": "Allow",
                    "Resource": "*",
                }
            ],
            "Version": "2012-10-17",
        },
    ),
    AwsManagedPolicy(
        "AdministratorAccess",
        "/",
        "v1",
        _when("2015-02-06T18:39:46+00:00"),
        _when("2015-02-06T18:39:46+00:00"),
        {"Statement": [{"Action": "*", "Effect": "Allow", "Resource": "*"}], "Version": "2012-10-17"},
    ),
    AwsManagedPolicy(
        "ReadOnlyAccess",
        "/",
        "v190",
        _when("2015-02-06T18:39:48+00:00"),
        _when("2026-09-24T17:37:08+00:00"),
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": [
                        "apigateway:GET",
                        "apigateway:GetPortal",
                        "apigateway:GetPortalProduct",
                        "apigateway:GetProductPage",
                        "apigateway:GetProductRestEndpointPage",
                        "apigateway:GetRoutingRule",
                        "apigateway:ListPortalProducts",
                        "apigateway:ListPortals",
                        "apigateway:ListProductPages",
                        "apigateway:ListProductRestEndpointPages",
                        "apigateway:ListRoutingRules",
                        "apigateway:GetPortalProductSharingPolicy",
                        "cloudformation:BatchDescribeTypeConfigurations",
                        "cloudformation:Describe*",
                        "cloudformation:Detect*",
                        "cloudformation:Estimate*",
                        "cloudformation:Get*",
                        "cloudformation:List*",
                        "cloudformation:ValidateTemplate",
                        "cloudwatch:Describe*",
                        "cloudwatch:GenerateQuery",
                        "cloudwatch:GenerateQueryResultsSummary",
                        "cloudwatch:Get*",
                        "cloudwatch:List*",
                        "dynamodb:BatchGet*",
                        "dynamodb:Describe*",
                        "dynamodb:Get*",
                        "dynamodb:List*",
                        "dynamodb:PartiQLSelect",
                        "dynamodb:Query",
                        "dynamodb:Scan",
                        "dynamodb:ReadDataForReplication",
                        "dynamodb:SearchVectors",
                        "iam:Generate*",
                        "iam:Get*",
                        "iam:List*",
                        "iam:Simulate*",
                    ],
                    "Effect": "Allow",
                    "Resource": "*",
                    "Sid": "ReadOnlyActionsGroup1",
                },
                {
                    "Action": [
                        "lambda:Get*",
                        "lambda:List*",
                        "logs:Describe*",
                        "logs:FilterLogEvents",
                        "logs:Get*",
                        "logs:ListAggregateLogGroupSummaries",
                        "logs:ListAnomalies",
                        "logs:ListEntitiesForLogGroup",
                        "logs:ListIntegrations",
                        "logs:ListLogAnomalyDetectors",
                        "logs:ListLogDeliveries",
                        "logs:ListLogGroupsForEntity",
                        "logs:ListLogGroupsForQuery",
                        "logs:ListScheduledQueries",
                        "logs:ListSourcesForS3TableIntegration",
                        "logs:ListTagsForResource",
                        "logs:ListTagsLogGroup",
                        "logs:StartLiveTail",
                        "logs:StartQuery",
                        "logs:StopLiveTail",
                        "logs:StopQuery",
                        "logs:TestMetricFilter",
                        "s3:DescribeJob",
                        "s3:Get*",
                        "s3:List*",
                        "sts:GetAccessKeyInfo",
                        "sts:GetCallerIdentity",
                        "sts:GetSessionToken",
                        "xray:BatchGet*",
                        "xray:CancelTraceRetrieval",
                        "xray:Get*",
                        "xray:ListResourcePolicies",
                        "xray:ListRetrievedTraces",
                        "xray:ListTagsForResource",
                        "xray:StartTraceRetrieval",
                    ],
                    "Effect": "Allow",
                    "Resource": "*",
                    "Sid": "ReadOnlyActionsGroup2",
                },
            ],
        },
    ),
)

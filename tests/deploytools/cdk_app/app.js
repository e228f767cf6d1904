// The notes app (examples/flask_app) as a CDK app in plain JavaScript: a
// Python function behind a REST API, a DynamoDB table and an S3 bucket.
// The test sets NOTES_ASSET (the function's folder: code and requirements,
// pip-installed beforehand, no Docker bundling), NOTES_RUNTIME (RustStack's
// Python) and NOTES_RELEASE.
"use strict";

const cdk = require("aws-cdk-lib");
const apigateway = require("aws-cdk-lib/aws-apigateway");
const dynamodb = require("aws-cdk-lib/aws-dynamodb");
const lambda = require("aws-cdk-lib/aws-lambda");
const s3 = require("aws-cdk-lib/aws-s3");

class NotesStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);

    const table = new dynamodb.Table(this, "Notes", {
      partitionKey: { name: "id", type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      removalPolicy: cdk.RemovalPolicy.DESTROY,
    });

    // No autoDeleteObjects: its custom resource is a Node.js function, and
    // RustStack's Lambda runs Python only. The bucket must be empty to go.
    const bucket = new s3.Bucket(this, "Files", { removalPolicy: cdk.RemovalPolicy.DESTROY });

    const fn = new lambda.Function(this, "NotesFunction", {
      runtime: new lambda.Runtime(process.env.NOTES_RUNTIME || "python3.11", lambda.RuntimeFamily.PYTHON),
      handler: "lambda_function.handler",
      code: lambda.Code.fromAsset(process.env.NOTES_ASSET || "src"),
      timeout: cdk.Duration.seconds(30),
      memorySize: 256,
      environment: {
        TABLE_NAME: table.tableName,
        BUCKET_NAME: bucket.bucketName,
        RELEASE: process.env.NOTES_RELEASE || "first",
      },
    });
    table.grantReadWriteData(fn);
    bucket.grantReadWrite(fn);

    // No CloudWatch role for API Gateway's account settings: CDK keeps it
    // (RemovalPolicy.RETAIN) after `cdk destroy`.
    const api = new apigateway.LambdaRestApi(this, "NotesApi", { handler: fn, cloudWatchRole: false });

    new cdk.CfnOutput(this, "ApiId", { value: api.restApiId });
    new cdk.CfnOutput(this, "ApiUrl", { value: api.url });
    new cdk.CfnOutput(this, "TableName", { value: table.tableName });
    new cdk.CfnOutput(this, "BucketName", { value: bucket.bucketName });
    new cdk.CfnOutput(this, "FunctionName", { value: fn.functionName });
  }
}

const app = new cdk.App();
new NotesStack(app, "notes-cdk", {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
app.synth();

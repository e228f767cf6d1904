from setuptools import find_packages, setup

setup(
    name="ruststack",
    version="0.1.0",
    description="A local AWS emulator (S3, DynamoDB, Lambda, API Gateway) on Twisted, for integration tests.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["ruststack", "ruststack.*"]) + ["twisted.plugins"],
    package_data={"twisted": ["plugins/ruststack_plugin.py"], "ruststack": ["**/*.sh", "**/Dockerfile", "**/*.json"]},
    include_package_data=True,
    install_requires=[
        "twisted[tls]>=24.7.0",
        "treq>=24.9.1",
        "botocore>=1.35.0",
        "boto3>=1.35.0",
        "attrs>=23.1.0",
        "cryptography>=42.0.0",
        "defusedxml>=0.7.1",
        "awscrt>=0.21.0",
        "awslambdaric>=3.0.0",
    ],
    extras_require={
        "docker": ["docker>=7.1.0"],
        "test": [
            "pytest>=8.0",
            "pytest-twisted>=1.14.1",
            "docker>=7.1.0",
            "awscli>=1.33.0",
            "requests>=2.31",
            "flask>=3.0",
            "apig-wsgi>=2.18.0",
            "ruff>=0.6",
            "mypy>=1.10",
        ],
        "bench": ["moto[server]>=5.0.0", "psutil>=5.9"],
    },
    entry_points={
        "console_scripts": ["ruststack = ruststack.cli:main"],
        "pytest11": ["ruststack = ruststack.testing"],
    },
    classifiers=["Framework :: Twisted", "Framework :: Pytest", "Programming Language :: Python :: 3"],
)

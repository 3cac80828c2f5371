"""AuthDoctor: ranked causes and fixes for pasted Terraform/AWS credential errors."""

__version__ = "0.1.0"

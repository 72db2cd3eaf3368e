"""Build-time export of the deployment package (the board runs only qnnflow.driver)."""

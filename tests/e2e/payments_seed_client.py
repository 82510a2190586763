"""The payment-parser document's own Python client and its two pytest examples, copied
verbatim from ``../shared/seeds/003_0e457198c16d2aa1.txt`` ("Python Integration" and "Unit
Testing Example"). The only changes: ``http://localhost:8010`` became ``BASE_URL`` (the test
server's address), and the document's mis-decoded ``â‚¹`` is the ``₹`` it stands for; the
document's module-level "Usage example" lines sit, unchanged, inside
``usage_example()`` so that importing this module does not run them.

Imported by ``test_payments_seed_client.py``, which serves the payment routes there.
"""
# ruff: noqa
# fmt: off

import os

from tests.conftest import free_port

BASE_URL = os.environ.get("PAYMENT_PARSER_URL") or f"http://127.0.0.1:{free_port()}"

# ---------------------------------------------------------------- "Python Integration"

import base64
import requests
import hashlib

class PaymentParserClient:
    def __init__(self, base_url=BASE_URL):
        self.base_url = base_url
        self.processed_hashes = set()
    
    def parse_payment_image(self, image_path, match_date=None):
        """
        Parse payment screenshot with deduplication.
        
        Args:
            image_path: Path to image file
            match_date: Optional match date for validation
            
        Returns:
            dict: Parsed payment data or error
        """
        # Read and encode image
        with open(image_path, 'rb') as f:
            image_bytes = f.read()
            image_b64 = base64.b64encode(image_bytes).decode()
        
        # Check deduplication
        image_hash = hashlib.sha256(image_bytes).hexdigest()
        if image_hash in self.processed_hashes:
            return {
                "success": False,
                "error": "Image already processed",
                "image_hash": image_hash
            }
        
        # Make API request
        payload = {
            "image_base64": image_b64,
            "match_date": match_date
        }
        
        try:
            response = requests.post(
                f"{self.base_url}/parse-payment",
                json=payload,
                timeout=30
            )
            response.raise_for_status()
            
            result = response.json()
            
            # Track processed image
            if result.get('success'):
                self.processed_hashes.add(image_hash)
            
            return result
            
        except requests.RequestException as e:
            return {
                "success": False,
                "error": f"API request failed: {str(e)}"
            }

def usage_example():
    # Usage example
    client = PaymentParserClient()
    result = client.parse_payment_image("payment_screenshot.png", "2024-01-15T00:00:00Z")

    if result['success']:
        print(f"Payment of {result['data']['amount']} {result['data']['currency']} detected")
        print(f"Payee: {result['data']['payee_name']}")
        print(f"Confidence: {result['metadata']['confidence']}")
    else:
        print(f"Error: {result.get('error_message', 'Unknown error')}")
    return result

# ---------------------------------------------------------------- "Unit Testing Example"

import pytest
import base64
from io import BytesIO
from PIL import Image

class TestPaymentParser:
    def setup_method(self):
        """Setup test client"""
        self.client = PaymentParserClient()
    
    def create_test_image(self, text="Test Payment"):
        """Create a test image for testing"""
        img = Image.new('RGB', (400, 200), color='white')
        
        # Add text (simplified)
        from PIL import ImageDraw, ImageFont
        draw = ImageDraw.Draw(img)
        draw.text((10, 10), text, fill='black')
        
        # Convert to base64
        buffer = BytesIO()
        img.save(buffer, format='PNG')
        return base64.b64encode(buffer.getvalue()).decode()
    
    def test_valid_payment_image(self):
        """Test parsing a valid payment image"""
        image_b64 = self.create_test_image("₹1000 paid to John Doe")
        
        response = requests.post(f'{BASE_URL}/parse-payment', json={
            'image_base64': image_b64,
            'match_date': '2024-01-15T00:00:00Z'
        })
        
        assert response.status_code == 200
        result = response.json()
        assert 'success' in result
        assert 'data' in result
        assert 'metadata' in result
    
    def test_invalid_image_format(self):
        """Test with invalid image data"""
        response = requests.post(f'{BASE_URL}/parse-payment', json={
            'image_base64': 'invalid_base64_data',
            'match_date': '2024-01-15T00:00:00Z'
        })
        
        assert response.status_code == 200
        result = response.json()
        assert result['success'] == False
        assert result['error_code'] == 'invalid_image'

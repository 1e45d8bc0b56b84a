// Development IdP: hand the signed SAML response to the portal without a click.
document.getElementById("saml-post")?.submit();

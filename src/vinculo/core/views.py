from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def home(request):
    return HttpResponse("Vínculo")


@login_required
def global_search(request):
    return HttpResponse("")


def set_language(request):
    return HttpResponse("")


@login_required
def recycle_bin(request):
    return HttpResponse("")
